"""Demo data for ``./dev.sh demo``: a small, fixed population and the tokens to explore the API with."""
