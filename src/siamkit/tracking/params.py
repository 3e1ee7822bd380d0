"""The search settings of a SiamFC tracker (Bertinetto et al. 2016, section 2.4 and their code).

They are saved with the model (``config.json``) and can be overridden when tracking.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class TrackingParams:
    """How a tracker searches each new frame.

    Args:
        num_scales: search scales per frame (odd; the middle one keeps the current size).
        scale_step: ratio between neighbouring scales (SiamFC: 1.0375 for 3 scales).
        scale_penalty: factor on the peak of every scale other than the middle one, so that a
            change of size needs a clearly better match (SiamFC: 0.9745).
        scale_lr: damping of the size update, new = (1 - lr) * old + lr * best scale (SiamFC: 0.59).
        window_influence: weight of the cosine (Hann) window blended into the normalised score
            map, a prior against large jumps between frames (SiamFC: 0.176).
        upscale: bicubic upsampling factor of the score map for sub-pixel peaks (SiamFC: 16 for a
            total stride 8; here the default 4 with stride 4 gives one-pixel steps).
        min_size: smallest box side in pixels the size update may reach.
    """

    num_scales: int = 3
    scale_step: float = 1.04
    scale_penalty: float = 0.97
    scale_lr: float = 0.5
    window_influence: float = 0.25
    upscale: int = 4
    min_size: float = 4.0

    def __post_init__(self) -> None:
        if self.num_scales < 1 or self.num_scales % 2 == 0:
            raise ConfigError(f"tracking: num_scales must be odd and >= 1, got {self.num_scales}")
        checks = {
            "scale_step": self.scale_step >= 1.0,
            "scale_penalty": 0.0 < self.scale_penalty <= 1.0,
            "scale_lr": 0.0 <= self.scale_lr <= 1.0,
            "window_influence": 0.0 <= self.window_influence <= 1.0,
            "upscale": self.upscale >= 1,
            "min_size": self.min_size > 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"tracking: {name}={getattr(self, name)!r} is out of range")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, where: str = "tracking") -> "TrackingParams":
        return cls().updated(values or {}, where)

    def updated(self, values: dict[str, Any], where: str = "tracking") -> "TrackingParams":
        """A copy with ``values`` replaced; an unknown name is an error listing the known ones."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        try:
            return replace(self, **{k: type(getattr(self, k))(v) for k, v in values.items()})
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: bad value ({exc})") from None
