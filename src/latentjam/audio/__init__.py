"""Audio plumbing and the audio VAEs' glue.

io (read/write/resample/segment) · mel ([0, 1] log-mel and back) · griffin_lim · metrics ·
render (MIDI -> audio with a GM soundfont) · datasets (audio folders, the bundled rendered
corpus) · presets / checkpoints / ops / train (the mel and waveform VAEs on audio) · plots.
Submodules import torch, scipy and soundfile lazily; importing this package is cheap.
"""
