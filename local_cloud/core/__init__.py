"""The local cloud's process: server, launcher, settings, accounts, control plane, persistence."""
