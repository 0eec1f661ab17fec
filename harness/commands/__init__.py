"""One module per verb of the mailharness command."""
