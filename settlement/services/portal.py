"""(filled in by the merchants issue)"""

__all__: list[str] = []
