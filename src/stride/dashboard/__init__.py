"""The web dashboard: static pages and scripts served by the API app at `/`."""
