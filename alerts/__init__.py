"""Rule generators: Prometheus recording rules (and later alerts) built from configuration."""
