"""The live jam: pure session logic plus thin transports (WebSocket, OSC, TCP, MIDI ports)."""
