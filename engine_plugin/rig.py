"""Binding an Actor's joints to the canonical skeleton, and driving them with ``Actor.controlJoint``.

Action poses (:mod:`anisync.panda.actions`) are rotations in the canonical character frame (Z up, facing
+Y) applied at each joint, relative to the rest pose. A user rig has its own bone frames (the panda's
bones point along their own X, with scale and mirroring); :class:`RigBinding` carries each rotation over
by conjugating it with the bone's rest frame: the joint's new local matrix is ``B R B⁻¹ · rest_local``,
where ``B`` is the upper 3x3 of the bone's rest net transform times the inverse of the rig's facing.
For the built-in humanoid, whose bones are unrotated, that is just ``setHpr`` on the control node.

The hips lift (``z``, metres of a 1.5 m character) moves the rig's mapped root joints, scaled by the
rig's height.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from anisync.errors import InvalidArgumentError
from direct.actor.Actor import Actor
from panda3d.core import CharacterJoint, LMatrix3f, LMatrix4f, LQuaternionf, LVecBase3f, Mat3, NodePath

from .actions import CHANNEL_INDEX, JOINT_INDEX, JOINTS
from .body import HEIGHT

PART = "modelRoot"


@dataclass(frozen=True)
class JointMap:
    """How a user rig maps to the canonical skeleton.

    Args:
        joints: canonical joint name (:data:`~anisync.panda.actions.JOINTS`) -> the rig's joint name.
            Unmapped canonical joints are simply not driven.
        forward: heading in degrees that turns +Y (the canonical forward) into the rig's forward;
            180 for a model that faces -Y.
        face_center: where the face card goes, relative to the rig's head joint at rest, in the model's
            own units and axes; ``face_size`` is the card's side in the same units.
        height: the model's standing height in its own units, which scales the hips lift; None measures
            it from the model's bounds.
    """

    joints: Mapping[str, str]
    forward: float = 0.0
    face_center: tuple[float, float, float] = (0.0, 0.0, 0.0)
    face_size: float = 0.4
    height: float | None = None


#: The panda model that ships inside the panda3d wheel (``models/panda-model``), a quadruped facing -Y:
#: front legs stand in for arms. Its height is about 550 units.
PANDA_JOINT_MAP = JointMap(
    joints={
        "hips": "Dummy_hips", "chest": "Dummy_shoulders", "neck": "Bone_neck", "head": "Bone_skull",
        "upper_arm_l": "Bone_lf_leg_upper", "forearm_l": "Bone_lf_leg_lower",
        "upper_arm_r": "Bone_rf_leg_upper", "forearm_r": "Bone_rf_leg_lower",
        "thigh_l": "Bone_lr_leg_upper", "shin_l": "Bone_lr_leg_lower",
        "thigh_r": "Bone_rr_leg_upper", "shin_r": "Bone_rr_leg_lower",
    },
    forward=180.0, face_center=(0.0, -300.0, 50.0), face_size=280.0,
)


def _rest_net_transforms(actor: Actor) -> tuple[dict[str, LMatrix4f], dict[str, str | None]]:
    """Every joint's rest (default) net transform in model space, and its parent joint."""
    nets: dict[str, LMatrix4f] = {}
    parents: dict[str, str | None] = {}

    def walk(group, parent_net: LMatrix4f, parent: str | None) -> None:
        for child in group.getChildren():
            net, name = parent_net, parent
            if isinstance(child, CharacterJoint):
                name = child.getName()
                net = LMatrix4f(child.getDefaultValue() * parent_net)
                nets[name], parents[name] = net, parent
            walk(child, net, name)

    walk(actor.getPartBundle(PART), LMatrix4f.identMat(), None)
    return nets, parents


@dataclass
class _Joint:
    index: int
    node: NodePath
    rest: LMatrix4f
    conjugate: LMatrix3f | None  # B (None for unrotated bones: plain setHpr)
    lift: LVecBase3f | None  # model-space up, in the parent joint's frame, for root joints
    conjugate_inverse: LMatrix3f | None = None


@dataclass
class RigBinding:
    """Control nodes of one Actor's mapped joints; :meth:`apply` poses them."""

    actor: Actor
    joint_map: JointMap
    joints: list[_Joint] = field(default_factory=list)
    scale: float = 1.0
    #: Rest net transform (model space) of every joint of the actor, by the actor's joint names.
    rest_nets: dict[str, LMatrix4f] = field(default_factory=dict)

    @classmethod
    def bind(cls, actor: Actor, joint_map: JointMap, driven: tuple[str, ...] = JOINTS) -> "RigBinding":
        """Take control of the joints of ``actor`` named in ``joint_map`` (among ``driven``).

        Raises:
            InvalidArgumentError: naming ``rig`` and the joint, for an unknown canonical joint or a joint
                the actor lacks.
        """
        nets, parents = _rest_net_transforms(actor)
        for ours, theirs in joint_map.joints.items():
            if ours not in JOINT_INDEX:
                raise InvalidArgumentError(f"rig: {ours!r} is not a canonical joint; expected one of {', '.join(JOINTS)}")
            if theirs not in nets:
                raise InvalidArgumentError(f"rig: joint {theirs!r} (for {ours!r}) is not in the actor; it has {', '.join(sorted(nets))}")
        height = joint_map.height
        if height is None:
            low, high = actor.getTightBounds(actor)
            height = float(high.z - low.z)
        binding = cls(actor, joint_map, scale=height / HEIGHT, rest_nets=nets)
        facing = Mat3.rotateMatNormaxis(joint_map.forward, LVecBase3f(0, 0, 1))
        mapped = set(joint_map.joints.values())
        for ours, theirs in joint_map.joints.items():
            if ours not in driven:
                continue
            binding.joints.append(binding._joint(actor, ours, theirs, nets, parents, facing, mapped))
        return binding

    def _joint(self, actor, ours, theirs, nets, parents, facing, mapped) -> _Joint:
        net = nets[theirs]
        node = actor.controlJoint(None, PART, theirs)
        rest = LMatrix4f(node.getMat())
        inverse_facing = LMatrix3f(facing)
        inverse_facing.invertInPlace()
        b = LMatrix3f(net.getUpper3() * inverse_facing)
        rotated = not b.almostEqual(LMatrix3f.identMat(), 1e-5)
        b_inverse = LMatrix3f(b)
        b_inverse.invertInPlace()
        ancestor = parents[theirs]
        while ancestor is not None and ancestor not in mapped:
            ancestor = parents[ancestor]
        lift = None
        if ours == "hips" or ancestor is None:
            parent = parents[theirs]
            parent_rotation = LMatrix3f(nets[parent].getUpper3() if parent else LMatrix3f.identMat())
            parent_rotation.invertInPlace()
            lift = LVecBase3f(parent_rotation.xformVec(LVecBase3f(0, 0, self.scale)))
        return _Joint(JOINT_INDEX[ours], node, rest, b if rotated else None, lift, b_inverse if rotated else None)

    def node(self, joint: str) -> NodePath:
        """The control node driving canonical ``joint`` (InvalidArgumentError if it is not bound)."""
        for bound in self.joints:
            if JOINTS[bound.index] == joint:
                return bound.node
        raise InvalidArgumentError(f"joint: {joint!r} is not bound; bound are {', '.join(JOINTS[j.index] for j in self.joints)}")

    def apply(self, pose: np.ndarray, moved: list[bool] | None = None) -> None:
        """Pose the mapped joints: ``pose`` is ``(len(JOINTS), 4)`` h, p, r degrees and hips lift.
        ``moved`` (per canonical joint) says which changed since the last call; the others are left alone."""
        hips = JOINT_INDEX["hips"]
        lift = float(pose[hips, CHANNEL_INDEX["z"]])
        moved = [True] * len(JOINTS) if moved is None else moved
        values = pose.tolist()
        for joint in self.joints:
            if not (moved[joint.index] or (joint.lift is not None and moved[hips])):
                continue
            h, p, r, _ = values[joint.index]
            if joint.conjugate is None:  # an unrotated bone: the canonical angles apply as they are
                if joint.lift is None:
                    joint.node.setHpr(h, p, r)
                else:
                    joint.node.setPosHpr(joint.rest.getRow3(3) + joint.lift * lift, LVecBase3f(h, p, r))
                continue
            rotation = LMatrix3f()
            quat = LQuaternionf()
            quat.setHpr(LVecBase3f(h, p, r))
            quat.extractToMatrix(rotation)
            rotation = joint.conjugate * rotation * joint.conjugate_inverse
            local = LMatrix4f(rotation) * joint.rest
            if joint.lift is not None:
                local.setRow(3, local.getRow3(3) + joint.lift * lift)
            joint.node.setMat(local)

    def release(self) -> None:
        """Give the joints back to the actor's own animation."""
        for ours, theirs in self.joint_map.joints.items():
            if any(j.index == JOINT_INDEX[ours] for j in self.joints):
                self.actor.releaseJoint(PART, theirs)
        self.joints.clear()
