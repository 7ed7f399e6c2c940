"""Shipped data of anisync: character and behavior definitions, ONNX models with their model cards.

Installed as the ``sdk.assets`` package; find files with :func:`sdk.resources.asset_path`.
"""
