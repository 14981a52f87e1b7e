"""Use cases: load, check policy, call the domain, persist, commit. Views, API, CLI and seed all use them."""
