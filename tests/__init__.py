"""The product's own tests (a package, so that every helper module has one import name)."""
