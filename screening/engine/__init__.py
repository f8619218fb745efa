"""The pure screening domain: questionnaire, regions, rules, sources, case validation and the
one preparation of answers. Nothing here imports Django or reads a clock (a test proves it)."""
