"""Panda3D integration of anisync (see the engine plugin issue)."""
