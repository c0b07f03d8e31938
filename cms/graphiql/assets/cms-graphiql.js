// Starts GraphiQL on the page cms serves at GET /graphql. Configuration comes from data
// attributes on #graphiql, so the page needs no inline script (a strict CSP allows only files).
// Queries and mutations go through GraphiQL's own HTTP fetcher; subscriptions through GraphQL
// over Server-Sent Events (the same endpoint with Accept: text/event-stream), so that
// `subscription { contentChanged { ... } }` shows each change as it comes.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.dataset.endpoint, window.location.href).toString();
  var http = GraphiQL.createFetcher({ url: endpoint });

  // The operations of a text (comments and strings left out), as [type, name] pairs.
  function operations(query) {
    var text = (query || "")
      .replace(/"""[\s\S]*?"""/g, '""')
      .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
      .replace(/#[^\n]*/g, "");
    var found = text.match(/(^|[\s}])(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g);
    return (found || []).map(function (part) {
      return part.trim().replace(/^}/, "").trim().split(/\s+/);
    });
  }

  async function* subscribe(params, options) {
    var headers = Object.assign(
      { "Content-Type": "application/json", Accept: "text/event-stream" },
      (options && options.headers) || {}
    );
    var response = await fetch(endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(params),
    });
    if (!(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
      yield await response.json(); // refused before streaming: a GraphQL error body
      return;
    }
    var reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = "";
    try {
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) return;
        buffer += chunk.value.replace(/\r\n/g, "\n");
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          var event = "message";
          var data = "";
          buffer
            .slice(0, end)
            .split("\n")
            .forEach(function (line) {
              if (line.startsWith("event:")) event = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            });
          buffer = buffer.slice(end + 2);
          if (event === "complete") return;
          if (event === "next" && data) yield JSON.parse(data);
        }
      }
    } finally {
      reader.cancel().catch(function () {});
    }
  }

  function fetcher(params, options) {
    var found = operations(params.query);
    var name = params.operationName;
    if (name && found.length === 1 && found[0][1] !== name) {
      // GraphiQL notes the operation's name shortly after an edit: a request sent at once
      // carries the one before. A text of one operation runs that one.
      params = Object.assign({}, params, { operationName: undefined });
      name = undefined;
    }
    var chosen = found.filter(function (op) {
      return !name || op[1] === name;
    })[0];
    if (chosen && chosen[0] === "subscription") return subscribe(params, options);
    return http(params, options);
  }

  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: root.dataset.query,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
    })
  );
})();
