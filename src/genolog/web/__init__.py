"""genolog's web area: what the metadata server publishes besides its APIs: the web interface
(``pages``: sign-in, projects, samples, analyses) and local web storage (``storage``)."""
