"""LLM assistance for the D, I/C and E steps. A model here can only ever *add* proposals.

- ``prompts``: documents as delimited, datamarked data blocks, and the fixed instructions.
- ``evidence``: every quote a model cites is checked against the span it names.
- ``describe_llm``: draft elements, flows and trust boundaries from documents (each one cites spans).
- ``identify_llm``: propose threats and controls beyond the rule findings; ``assert_additions_only``.
- ``evaluate_llm``: draft business-impact wording for open residual risks (a named owner confirms it).
- ``answers``: the answer schemas (``extra="forbid"``) and the hygiene applied to answer text.

Nothing here removes, downgrades or rewrites a rule finding, a stated threat or a human decision, and
nothing asks a model whether the threat model is complete or good enough.
"""
