"""Shipped data of anisync: character and behavior definitions, ONNX models with their model cards.

Installed as the ``anisync.assets`` package; find files with :func:`anisync.resources.asset_path`.
"""
