"""The HTTP protocols: TorchServe inference and management APIs, the Open Inference Protocol
(KServe V2) and its body codec, and the plumbing they share."""
