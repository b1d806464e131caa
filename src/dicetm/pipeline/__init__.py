"""The four DICE phases as State -> State functions; run.py composes them."""
