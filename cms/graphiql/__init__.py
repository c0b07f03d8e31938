"""GraphiQL, served from the app's own files (no CDN): the page, its assets, their vendoring."""
