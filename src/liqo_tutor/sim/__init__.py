"""The simulated playground: a fake Kubernetes API server, kind, liqoctl and docker."""

from __future__ import annotations
