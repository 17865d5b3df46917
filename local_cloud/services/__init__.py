"""One package per AWS service: where moto falls short, our patch, models and control routes."""
