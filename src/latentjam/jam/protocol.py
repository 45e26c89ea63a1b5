"""The jam's wire format: strict parsing and validation of client messages into typed calls.

Every transport (WebSocket, OSC, TCP, MIDI ports) hands raw bytes or text to `parse_message`;
anything malformed, oversized or out of range raises `ProtocolError`, which the transport turns
into an `{"type": "error", ...}` reply while the session lives on. No torch, no I/O here.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from typing import NamedTuple

from latentjam.errors import LatentjamError

MAX_MESSAGE_BYTES = 64 * 1024  # a 2-bar call is ~2 KB; 8 dense bars stay well under this
MAX_BARS = 8
STEPS_PER_BAR = 16  # the converters' grid: 16th notes, 16 steps per bar
MAX_NOTES_PER_STEP = 16  # more simultaneous notes than any kit or hand can play
MODES = ("call", "continuous", "drumify")  # drumify: drum models only (tap -> groove)
ATTRIBUTE_RANGE = 3.0  # attribute nudges are in units of the stored attribute vector
KNOB_RANGES = {  # name -> (low, high, default); documented in docs/jam.md
    "temperature": (0.0, 2.0, 0.5),
    "radius": (0.0, 3.0, 0.3),
    "bits": (0.0, 256.0, None),
    "recall": (0.0, 1.0, 0.0),
}
MESSAGE_TYPES = ("hello", "call", "reset", "ping")
_TOP_KEYS = {
    "call": {
        "type",
        "session",
        "model",
        "bars",
        "reply_bars",
        "steps_per_bar",
        "qpm",
        "notes",
        "params",
        "id",
        "token",
        "reply_port",
    },
    "hello": {"type", "session", "id", "token", "reply_port"},
    "reset": {"type", "session", "id", "token", "reply_port"},
    "ping": {"type", "session", "id", "token", "reply_port"},
}
_PARAM_KEYS = {"temperature", "radius", "bits", "seed", "nudges", "mode", "recall"}
_NOTE_KEYS = {"pitch", "velocity", "step", "offset", "duration"}


class ProtocolError(LatentjamError):
    """A message the jam cannot accept; `code` is a short machine-readable reason."""

    def __init__(self, code: str, message: str, msg_id=None):
        super().__init__(message)
        self.code = code
        self.msg_id = msg_id


class Note(NamedTuple):
    """One played note on the 16th-note grid (an immutable tuple: quick to build by the hundred
    per bar).

    `step` counts 16th notes from the call's first downbeat; `offset` in [-1, 1) is the
    micro-timing in half-steps (positive = late), as in the drum grid; `duration` is in steps
    (melody only; 0 means "until the next note").
    """

    pitch: int
    velocity: int
    step: int
    offset: float = 0.0
    duration: float = 0.0

    def to_json(self) -> dict:
        """{pitch, velocity, step, offset[, duration]} (values as stored: the session rounds)."""
        out = {
            "pitch": self.pitch,
            "velocity": self.velocity,
            "step": self.step,
            "offset": self.offset,
        }
        if self.duration:
            out["duration"] = self.duration
        return out


@dataclass(frozen=True)
class Params:
    """The knobs sent with a call (all optional on the wire, all with safe defaults)."""

    temperature: float = KNOB_RANGES["temperature"][2]
    radius: float = KNOB_RANGES["radius"][2]
    bits: float | None = None  # None: no channel (the encoded point goes through as is)
    seed: int | None = None
    nudges: dict[str, float] = field(default_factory=dict)
    mode: str = "call"  # "call": answer the call; "continuous": keep walking
    recall: float = 0.0  # chance that a reply brings back what followed the moment the call repeats

    def to_json(self) -> dict:
        """Every knob as JSON data (the nudges as a new dict)."""
        return {
            "temperature": self.temperature,
            "radius": self.radius,
            "bits": self.bits,
            "seed": self.seed,
            "nudges": dict(self.nudges),
            "mode": self.mode,
            "recall": self.recall,
        }


@dataclass(frozen=True)
class Call:
    """A validated call: `bars` bars of notes, asking for `reply_bars` bars back."""

    model: str | None
    bars: int
    reply_bars: int
    notes: tuple[Note, ...]
    params: Params
    qpm: float = 120.0
    session: str = "default"
    id: str | int | None = None

    @property
    def steps(self) -> int:
        """Length of the call in 16th-note steps."""
        return self.bars * STEPS_PER_BAR

    def to_json(self) -> dict:
        """The call as JSON data: model, bars, reply_bars, qpm, notes, params (no session, id)."""
        return {
            "model": self.model,
            "bars": self.bars,
            "reply_bars": self.reply_bars,
            "qpm": self.qpm,
            "notes": [n.to_json() for n in self.notes],
            "params": self.params.to_json(),
        }


@dataclass(frozen=True)
class Message:
    """Any validated client message; `call` is set for type "call"."""

    type: str
    session: str = "default"
    id: str | int | None = None
    token: str | None = None
    reply_port: int | None = None
    call: Call | None = None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


@functools.cache
def _orjson():
    """The orjson module when installed (several times faster both ways), else None."""
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def decode_json(raw: bytes | str, *, limit: int = MAX_MESSAGE_BYTES) -> object:
    """Bytes/text -> a JSON value; refuses oversized, non-UTF-8, NaN/Infinity, over-deep input."""
    if isinstance(raw, str):  # (a UTF-8 character takes at most 4 bytes: count only if needed)
        size = len(raw) if len(raw) * 4 <= limit else len(raw.encode("utf-8", "surrogatepass"))
    else:
        size = len(raw)
    if size > limit:
        raise ProtocolError("too_large", f"message of {size} bytes exceeds the {limit}-byte limit")
    fast = _orjson()
    if fast is not None:  # strict by itself: rejects NaN/Infinity, bad UTF-8, nesting > 1024
        try:
            return fast.loads(raw)
        except fast.JSONDecodeError as exc:
            raise ProtocolError("bad_json", f"malformed JSON: {exc}") from None
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("bad_json", "message is not UTF-8 text") from exc
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ProtocolError("bad_json", "message nests too deeply") from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise ProtocolError("bad_json", f"malformed JSON: {exc}") from exc


def _int(obj: dict, key: str, low: int, high: int, default=None, *, msg_id=None) -> int:
    value = obj.get(key, default)
    if value is None and default is None and key not in obj:
        raise ProtocolError("missing_field", f"'{key}' is required", msg_id)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError("bad_type", f"'{key}' must be an integer", msg_id)
    if isinstance(value, float):
        if not value.is_integer():
            raise ProtocolError("bad_type", f"'{key}' must be an integer, got {value}", msg_id)
        value = int(value)
    if not low <= value <= high:
        raise ProtocolError(
            "out_of_range", f"'{key}' must be in {low}..{high}, got {value}", msg_id
        )
    return value


def _float(
    obj: dict, key: str, low: float, high: float, default, *, msg_id=None, high_open: bool = False
) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError("bad_type", f"'{key}' must be a number", msg_id)
    value = float(value)
    ok = math.isfinite(value) and low <= value and (value < high if high_open else value <= high)
    if not ok:
        bracket = ")" if high_open else "]"
        raise ProtocolError(
            "out_of_range", f"'{key}' must be in [{low}, {high}{bracket}, got {value}", msg_id
        )
    return value


def _check_keys(obj: dict, allowed: set[str], where: str, msg_id) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ProtocolError(
            "unknown_field",
            f"unknown field(s) in {where}: {', '.join(unknown)}"
            f" (allowed: {', '.join(sorted(allowed))})",
            msg_id,
        )


def _session_name(obj: dict, msg_id) -> str:
    name = obj.get("session", "default")
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not name.isprintable():
        raise ProtocolError("bad_session", "'session' must be 1-64 printable characters", msg_id)
    return name


def parse_params(obj, *, attributes=(), msg_id=None) -> Params:
    """Validate the "params" object; `attributes` are the nudge names the model knows."""
    if obj is None:
        return Params()
    if not isinstance(obj, dict):
        raise ProtocolError("bad_type", "'params' must be an object", msg_id)
    _check_keys(obj, _PARAM_KEYS, "params", msg_id)
    lo, hi, default = KNOB_RANGES["temperature"]
    temperature = _float(obj, "temperature", lo, hi, default, msg_id=msg_id)
    lo, hi, default = KNOB_RANGES["radius"]
    radius = _float(obj, "radius", lo, hi, default, msg_id=msg_id)
    bits = None
    if obj.get("bits") is not None:
        lo, hi, _ = KNOB_RANGES["bits"]
        bits = _float(obj, "bits", lo, hi, None, msg_id=msg_id)
    seed = None
    if obj.get("seed") is not None:
        seed = _int(obj, "seed", 0, 2**32 - 1, msg_id=msg_id)
    nudges_obj = obj.get("nudges") or {}
    if not isinstance(nudges_obj, dict):
        raise ProtocolError("bad_type", "'nudges' must be an object of name -> number", msg_id)
    nudges = {}
    for name in nudges_obj:
        if name not in attributes:
            raise ProtocolError(
                "unknown_attribute",
                f"unknown attribute nudge '{name}'"
                f" (this model has: {', '.join(attributes) or 'none'})",
                msg_id,
            )
        nudges[name] = _float(
            nudges_obj, name, -ATTRIBUTE_RANGE, ATTRIBUTE_RANGE, 0.0, msg_id=msg_id
        )
    mode = obj.get("mode", "call")
    if mode not in MODES:
        raise ProtocolError("out_of_range", f"'mode' must be one of {', '.join(MODES)}", msg_id)
    lo, hi, default = KNOB_RANGES["recall"]
    recall = _float(obj, "recall", lo, hi, default, msg_id=msg_id)
    return Params(temperature, radius, bits, seed, nudges, mode, recall)


def _fast_note(item, steps: int, low_pitch: int, high_pitch: int) -> Note | None:
    """The common well-formed note, checked quickly; None sends it through the full checks."""
    if type(item) is not dict or not item.keys() <= _NOTE_KEYS:
        return None
    pitch, velocity, step = item.get("pitch"), item.get("velocity", 100), item.get("step")
    offset, duration = item.get("offset", 0.0), item.get("duration", 0.0)
    if not (
        type(pitch) is int
        and type(velocity) is int
        and type(step) is int
        and type(offset) in (int, float)
        and type(duration) in (int, float)
    ):
        return None
    if not (
        low_pitch <= pitch <= high_pitch
        and 1 <= velocity <= 127
        and 0 <= step < steps
        and -1.0 <= offset < 1.0
        and 0.0 <= duration <= steps
    ):  # (NaN fails these too)
        return None
    return Note(pitch, velocity, step, float(offset), float(duration))


def parse_notes(items, steps: int, *, melody: bool, msg_id=None) -> tuple[Note, ...]:
    """Validate the "notes" list for a call `steps` 16th notes long."""
    if not isinstance(items, list):
        raise ProtocolError("bad_type", "'notes' must be a list", msg_id)
    limit = steps * MAX_NOTES_PER_STEP
    if len(items) > limit:
        raise ProtocolError(
            "too_many_notes", f"{len(items)} notes exceed {limit} for this call", msg_id
        )
    notes = []
    low_pitch = 21 if melody else 0
    high_pitch = 108 if melody else 127
    for i, item in enumerate(items):
        fast = _fast_note(item, steps, low_pitch, high_pitch)
        if fast is not None:
            notes.append(fast)
            continue
        if not isinstance(item, dict):
            raise ProtocolError("bad_type", f"note {i} must be an object", msg_id)
        try:
            _check_keys(item, _NOTE_KEYS, f"note {i}", msg_id)
            pitch = _int(item, "pitch", low_pitch, high_pitch, msg_id=msg_id)
            velocity = _int(item, "velocity", 1, 127, 100, msg_id=msg_id)
            step = _int(item, "step", 0, steps - 1, msg_id=msg_id)
            offset = _float(item, "offset", -1.0, 1.0, 0.0, msg_id=msg_id, high_open=True)
            duration = _float(item, "duration", 0.0, float(steps), 0.0, msg_id=msg_id)
        except ProtocolError as exc:
            raise ProtocolError(exc.code, f"note {i}: {exc}", msg_id) from None
        notes.append(Note(pitch, velocity, step, offset, duration))
    return tuple(notes)


def parse_message(
    raw, *, models: dict[str, dict] | None = None, default_model: str | None = None
) -> Message:
    """Raw bytes/text (or an already decoded dict) -> a validated `Message`.

    `models` maps each served model name to {"kind": "drums"|"melody", "attributes": [...]}; a
    call naming another model is rejected. Raises `ProtocolError` on anything unacceptable.
    """
    obj = raw if isinstance(raw, dict) else decode_json(raw)
    if not isinstance(obj, dict):
        raise ProtocolError("bad_type", "a message must be a JSON object")
    msg_id = obj.get("id")
    if not (
        msg_id is None
        or (isinstance(msg_id, str) and len(msg_id) <= 64)
        or (isinstance(msg_id, int) and not isinstance(msg_id, bool))
    ):
        raise ProtocolError("bad_type", "'id' must be a short string or an integer")
    kind = obj.get("type")
    if kind not in MESSAGE_TYPES:
        raise ProtocolError("bad_type", f"'type' must be one of {', '.join(MESSAGE_TYPES)}", msg_id)
    _check_keys(obj, _TOP_KEYS[kind], f"a '{kind}' message", msg_id)
    session = _session_name(obj, msg_id)
    token = obj.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError("bad_type", "'token' must be a string", msg_id)
    reply_port = None
    if obj.get("reply_port") is not None:
        reply_port = _int(obj, "reply_port", 1, 65535, msg_id=msg_id)
    call = None
    if kind == "call":
        models = models or {}
        model = obj.get("model", default_model)
        if model is not None and (not isinstance(model, str) or (models and model not in models)):
            raise ProtocolError(
                "unknown_model",
                f"model {model!r} is not served here (served: {', '.join(models) or 'none'})",
                msg_id,
            )
        info = models.get(model, {}) if model is not None else {}
        bars = _int(obj, "bars", 1, MAX_BARS, 2, msg_id=msg_id)
        reply_bars = _int(obj, "reply_bars", 1, MAX_BARS, bars, msg_id=msg_id)
        spb = _int(obj, "steps_per_bar", STEPS_PER_BAR, STEPS_PER_BAR, STEPS_PER_BAR, msg_id=msg_id)
        qpm = _float(obj, "qpm", 20.0, 400.0, 120.0, msg_id=msg_id)
        if "notes" not in obj:
            raise ProtocolError("missing_field", "'notes' is required (may be empty)", msg_id)
        notes = parse_notes(
            obj["notes"], bars * spb, melody=info.get("kind") == "melody", msg_id=msg_id
        )
        params = parse_params(
            obj.get("params"), attributes=tuple(info.get("attributes", ())), msg_id=msg_id
        )
        if params.mode == "drumify" and info.get("kind", "drums") != "drums":
            raise ProtocolError(
                "out_of_range",
                "mode 'drumify' answers with drums: call a drum model (any notes are taps)",
                msg_id,
            )
        call = Call(model, bars, reply_bars, notes, params, qpm, session, msg_id)
    return Message(kind, session, msg_id, token, reply_port, call)


def error_event(exc: ProtocolError | Exception, msg_id=None) -> dict:
    """The error reply for an exception (a `ProtocolError` keeps its code)."""
    code = getattr(exc, "code", "internal")
    event = {"type": "error", "code": code, "message": str(exc)[:500]}
    msg_id = getattr(exc, "msg_id", None) if msg_id is None else msg_id
    if msg_id is not None:
        event["id"] = msg_id
    return event


def encode_event(event: dict) -> str:
    """An outgoing event as compact JSON text (no NaN: the session never produces one)."""
    fast = _orjson()
    if fast is not None:
        try:
            return fast.dumps(event).decode("utf-8")
        except TypeError:  # (orjson.JSONEncodeError) e.g. a lone surrogate: the escaping below
            pass
    return json.dumps(event, separators=(",", ":"), allow_nan=False)
