"""Emotion-driven behavior (Lu, section 2.3.2): behavior trees, a behavior library and smart objects.

How the parts fit:

* The **behavior library** (:mod:`anisync.behavior.library`, ``assets/behaviors/library.yaml``) holds every
  atomic behavior as a rule: autonomous behaviors of characters (eq. 20: sufferer, trigger on emotion and
  mood, aim, orientation, what it runs) and interactive behaviors of smart objects (eq. 21: condition and
  effect). Triggers are small expressions (:mod:`anisync.behavior.expr`), parsed, never ``eval``-ed, and
  evaluable for one character or vectorised over many.
* The **behavior tree** (:mod:`anisync.behavior.tree`, ``assets/behaviors/trees/``) chooses the goal: which
  behavior runs, organised in Lu's six forms on py_trees composites and decorators. A behavior runs
  only while its trigger holds; when it stops holding, the behavior aborts at once.
* Inside a **composite behavior** (``run: {bpfa: NAME}``), the BPFA (:mod:`anisync.behavior.bpfa`) draws the
  next action per event; a single-action behavior just shows its action for a while. The tree drives
  either through one small interface (:class:`anisync.behavior.library.Runner`).
* While a behavior runs, its **aim** moves the character's emotion (crying slowly lowers sadness), which
  feeds back into the triggers. **Smart objects** (:mod:`anisync.behavior.smart`) move the emotion of the
  characters within their reach while their condition holds (a lit campfire calms, a ringing bell
  startles).

* **Python** (:mod:`anisync.behavior.python`): conditions, actions and tree leaves written in Python and
  registered by name (:func:`condition`, :func:`action`, :func:`leaf`) sit beside the YAML ones.

A character gets a tree through its definition (``behavior: {tree, behaviors, blackboard}``); the runtime
then fills its behavior slot with a :class:`anisync.behavior.tree.TreeBehavior`, whose ``blackboard`` game code
reads and sets (``character.behavior.blackboard.set("on_duty", False)``). ``anisync behavior show FILE``
prints a tree and can run it with a per-tick trace.
"""

from .library import Blackboard, BehaviorLibrary
from .python import PythonAction, PythonLeaf, action, condition, forget, leaf
from .tree import TreeBehavior, TreeDefinition

__all__ = ["BehaviorLibrary", "Blackboard", "PythonAction", "PythonLeaf", "TreeBehavior", "TreeDefinition", "action",
           "condition", "forget", "leaf"]
