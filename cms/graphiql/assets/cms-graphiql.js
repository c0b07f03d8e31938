// Starts GraphiQL on the page cms serves at GET /graphql. Configuration comes from data
// attributes on #graphiql, so the page needs no inline script (a strict CSP allows only files).
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.dataset.endpoint, window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
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
