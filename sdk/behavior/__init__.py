"""Behavior models that fill a character's behavior slot: behavioral probabilistic finite automata
(:mod:`sdk.behavior.bpfa`) and behavior trees."""
