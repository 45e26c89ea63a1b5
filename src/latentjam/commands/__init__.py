"""Sub-commands of the `latentjam` CLI, one module each (see latentjam.cli)."""
