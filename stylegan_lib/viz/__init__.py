"""Pictures: image grids, one function per paper figure, and the widgets the chapters use."""
