"""Optional LLM providers behind one protocol (``pip install 'dicetm[llm]'``).

With no provider configured, nothing in this package is imported and every command runs offline.
"""
