"""Workspace on disk: the model file, atomic writes, locks, the audit log and iterations."""
