"""specgen: turns YAML API specs into typed Python client packages.

Pipeline, one module per step: ``loader`` (YAML + JSON Schema) -> ``semantic`` (cross-reference
checks) -> ``build`` (typed intermediate model in ``model``) -> ``render`` (Jinja2) ->
``formatting`` (black) -> ``writer`` (atomic swap into ``generated/``). ``pipeline`` wires the
steps together; ``cli`` is the command line.
"""
