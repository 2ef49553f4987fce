"""Every route of the URL configuration, with sample arguments, so that access tests cover new pages."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    path: str  # a concrete path with sample arguments
    pattern: str


SAMPLE = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "path": "x",
}


def _concrete(pattern) -> str | None:
    route = getattr(pattern, "_route", None)
    if route is None:  # a regex pattern: only plain ones are walkable
        regex = pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
        return None if any(ch in regex for ch in "()[]?*+\\") else regex
    out = route
    for name, converter in pattern.converters.items():
        kind = {v: k for k, v in _converter_names().items()}.get(type(converter), "str")
        out = out.replace(f"<{kind}:{name}>", SAMPLE.get(kind, "x")).replace(f"<{name}>", SAMPLE["str"])
    return out


def _converter_names():
    from django.urls.converters import get_converters

    return {k: type(v) for k, v in get_converters().items()}


def walk(resolver: URLResolver | None = None, prefix: str = "/", namespace: str = "") -> list[Route]:
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        part = _concrete(entry.pattern)
        if part is None:
            continue
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            routes.extend(walk(entry, prefix + part, full_ns))
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            routes.append(Route(name=name, path=prefix + part, pattern=str(entry.pattern)))
    return routes
