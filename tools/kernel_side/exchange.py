# Runs inside a notebook's kernel (tools/kernel.py sends it after the notebook has run):
# converts results to plain picklable objects and wraps calls, so that a test sees the
# return value, or the exception's type and message. Names start with _nb_ so that they
# cannot clash with the notebook's own.
import base64 as _nb_b64
import dataclasses as _nb_dc
import pickle as _nb_pk
import types as _nb_ty


def _nb_export(obj):
    """Namedtuples and dataclasses of the notebook as SimpleNamespace (picklable anywhere)."""
    if hasattr(obj, "_asdict"):
        return _nb_ty.SimpleNamespace(**{k: _nb_export(v) for k, v in obj._asdict().items()})
    if _nb_dc.is_dataclass(obj) and not isinstance(obj, type):
        return _nb_ty.SimpleNamespace(**{f.name: _nb_export(getattr(obj, f.name))
                                         for f in _nb_dc.fields(obj)})
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_nb_export(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _nb_export(v) for k, v in obj.items()}
    return obj


def _nb_send(value):
    print("<<NBVALUE>>" + _nb_b64.b64encode(_nb_pk.dumps(_nb_export(value))).decode() + "<<END>>")


def _nb_call(name, payload):
    args, kwargs = _nb_pk.loads(_nb_b64.b64decode(payload))
    try:
        _nb_send(("ok", eval(name)(*args, **kwargs)))
    except Exception as exc:
        _nb_send(("raised", type(exc).__name__, str(exc)))


def _nb_try(expr):
    try:
        _nb_send(("ok", eval(expr)))
    except Exception as exc:
        _nb_send(("raised", type(exc).__name__, str(exc)))
