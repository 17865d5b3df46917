"""The `model-copy` console command: start, follow and inspect copies; run the local cloud."""
