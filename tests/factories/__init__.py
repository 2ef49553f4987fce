"""factory-boy factories, one module per app; FACTORIES maps each model to its factory."""


def all_factories() -> dict:
    from tests.factories import accounts, coaching, kpis, targeting

    modules = [accounts, targeting, kpis, coaching]
    found = {}
    for module in modules:
        for value in vars(module).values():
            meta = getattr(value, "_meta", None)
            model = getattr(meta, "model", None)
            if model is not None and hasattr(value, "create") and model not in found:
                found[model] = value
    return found
