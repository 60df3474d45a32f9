"""cxpulse stream processing: the Faust worker and its stages, and what they serve."""
