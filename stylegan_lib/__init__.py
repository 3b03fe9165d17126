"""stylegan_lib: StyleGAN (Karras et al., 2019) in plain PyTorch, written to be read.

The generator is ``Generator`` (mapping network + synthesis network), the critic is
``Discriminator``; both are built from a named preset or a ``ModelConfig``.
"""
