"""archgen: architecture as code — one model, rendered, simulated, checked and published."""

__version__ = "0.1.0"
