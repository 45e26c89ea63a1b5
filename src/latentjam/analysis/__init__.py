"""Analysis on numpy arrays: Tonnetz, chroma, the Variable Markov Oracle, latent-space metrics."""
