"""Writes of the inspections module; every state change is one function here."""
