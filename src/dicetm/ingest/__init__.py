"""Documents in, untrusted: read them into located spans, scan them for injection, extract candidate elements.

Nothing here calls a model. ``scan`` runs before any model sees a document; ``extract`` drafts what it can
without one.
"""
