"""Audio plumbing: file I/O, log-mel spectrograms and back, rendering MIDI, audio datasets.

Submodules import numpy/scipy/soundfile/torch lazily where they need them; importing this
package is cheap.
"""
