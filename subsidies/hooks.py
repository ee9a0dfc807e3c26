"""Registrations with the registry and core: menu, exporters, demo loader, importer."""


def register():
    pass
