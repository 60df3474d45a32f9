"""History for analysts: closed windows from stage 2, the sink, the store and its queries."""
