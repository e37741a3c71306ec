"""Building cases into extension modules: environments, the two build stages (generate C once,
compile it per Python and compiler), their content-addressed caches and the build tools."""
