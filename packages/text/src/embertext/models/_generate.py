"""Text generation around an encoder-decoder model (torchtext 0.18's
``torchtext.prototype.generate.GenerationUtils``, greedy search only: torchtext's beam search
raises NotImplementedError too)."""

from __future__ import annotations

import ember
from ember import nn
from ember.nn import functional as F

DEFAULT_MAX_SEQ_LEN = 256


class GenerationUtils(nn.Module):
    """Wrapper to provide generation utils for encoder/decoder models and decoder models.

    The model needs a ``prepare_inputs_for_generation`` method (and ``get_encoder`` when it
    is an encoder-decoder); its forward must return a dict holding ``"decoder_output"``
    (``"logits"`` for a Hugging Face model).

    Args:
        model (nn.Module): the model to generate with.
        is_encoder_decoder (bool): run the encoder once first (default True).
        is_huggingface_model (bool): the model follows Hugging Face's conventions
            (``return_dict``, ``logits``) (default False).

    Example:
        >>> model = T5_BASE_GENERATION.get_model()
        >>> generative_model = GenerationUtils(model=model)
        >>> generative_model.generate(input_ids, num_beams=1, max_length=100)
    """

    def __init__(self, model, **kwargs):
        super().__init__()
        self.model = model
        self.is_encoder_decoder = kwargs.pop("is_encoder_decoder", True)
        self.is_huggingface_model = kwargs.pop("is_huggingface_model", False)

    def _prepare_decoder_ids_for_generation(
        self, batch_size, pad_idx=0, device=None, model_kwargs=None
    ):
        if model_kwargs is not None and "decoder_input_ids" in model_kwargs:
            return model_kwargs.pop("decoder_input_ids")
        return ember.ones((batch_size, 1), dtype=ember.long, device=device) * pad_idx

    def _prepare_encoder_decoder_kwargs_for_generation(self, input_ids, encoder_kwargs):
        """The encoder's outputs for ``input_ids``."""
        if self.is_huggingface_model:
            encoder_kwargs["return_dict"] = True
        return self.model.get_encoder()(input_ids, **encoder_kwargs)

    def greedy_search(self, input_ids, max_length, eos_idx, pad_idx, model_kwargs):
        """Greedy search decoding for text generation. Takes the most likely next token every
        time.

        Args:
            input_ids (Tensor): Text prompt(s) for greedy generation ``(B, N)``.
            max_length (int): Max length to generate responses.
            eos_idx (int): End of sequence index.
            pad_idx (int): Padding index: what finished sequences go on with.
            model_kwargs (dict): the other arguments of the model.

        Returns:
            Batch of sequences decoded by greedy search ``(B, M)``.
        """
        unfinished_sequences = ember.ones(
            input_ids.shape[0], device=input_ids.device, dtype=ember.long
        )
        while True:
            model_inputs = self.model.prepare_inputs_for_generation(
                input_ids, model_kwargs=model_kwargs
            )
            if self.is_huggingface_model:
                model_inputs["return_dict"] = True
                model_inputs["output_hidden_states"] = True
            outputs = self.model(**model_inputs)
            logits = outputs.get("logits" if self.is_huggingface_model else "decoder_output")

            probs = F.log_softmax(logits[:, -1], dim=-1)
            next_tokens = ember.argmax(probs, dim=-1)
            # finished sequences go on with padding
            next_tokens = next_tokens * unfinished_sequences + pad_idx * (1 - unfinished_sequences)
            input_ids = ember.cat([input_ids, next_tokens[:, None]], dim=-1)
            unfinished_sequences = unfinished_sequences.mul(next_tokens != eos_idx).long()
            if unfinished_sequences.max() == 0 or len(input_ids[0]) >= max_length:
                break
        return input_ids

    def beam_search(self, input_ids, num_beams, max_length):
        raise NotImplementedError()

    def generate(
        self, inputs, num_beams=None, max_length=DEFAULT_MAX_SEQ_LEN, pad_idx=0, eos_idx=1
    ):
        """Generation method: greedy search when ``num_beams`` is None or 1.

        Args:
            inputs (Tensor): Ids of tokenized input tokens ``(B, N)``. The 'seed' text for
                generation.
            num_beams (int): If provided, specifies the number of beams to use in beam search
                generation (not implemented, as in torchtext).
            max_length (int): Max length to generate responses.
            pad_idx (int): Padding index. Defaults to 0.
            eos_idx (int): End of sequence index. Defaults to 1.

        Returns:
            The generated ids ``(B, M)``, each sequence starting with the decoder's start token
            (``pad_idx``) and padded with ``pad_idx`` after its ``eos_idx``.
        """
        model_kwargs = {}
        if self.is_encoder_decoder:
            encoder_model_kwargs = {"src_key_padding_mask": inputs.eq(pad_idx)}
            encoder_outputs = self._prepare_encoder_decoder_kwargs_for_generation(
                inputs, encoder_model_kwargs
            )
            model_kwargs["encoder_outputs"] = encoder_outputs
            model_kwargs["encoder_padding_mask"] = encoder_model_kwargs.pop("src_key_padding_mask")

        inputs = self._prepare_decoder_ids_for_generation(len(inputs), device=inputs.device)

        if num_beams is None or num_beams == 1:
            return self.greedy_search(
                inputs, max_length, eos_idx, pad_idx=pad_idx, model_kwargs=model_kwargs
            )
        if num_beams > 1:
            return self.beam_search(inputs, num_beams, max_length)
        raise ValueError("`num_beams` must be >= 1.")
