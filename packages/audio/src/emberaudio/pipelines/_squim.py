"""Pretrained TorchAudio-Squim models: speech quality estimated without (or with any) reference."""

from __future__ import annotations

from dataclasses import dataclass

from ._utils import _load_asset, _model


def _get_model(name, path):
    factory = _model(name)
    state_dict = _load_asset(f"models/{path}")
    model = factory()
    model.load_state_dict(state_dict)
    model.eval()
    return model


@dataclass
class SquimObjectiveBundle:
    """Data class that bundles associated information to use pretrained
    :py:class:`~emberaudio.models.SquimObjective` model.

    This bundle can estimate objective metric scores for speech enhancement, such as STOI,
    PESQ, Si-SDR. A typical use case would be a flow like `waveform -> list of scores`.

    Example: Estimate the objective metric scores for the input waveform.
        >>> from emberaudio.pipelines import SQUIM_OBJECTIVE as bundle
        >>> model = bundle.get_model()
        >>> waveform = emberaudio.functional.resample(waveform, sample_rate, bundle.sample_rate)
        >>> stoi, pesq, si_sdr = model(waveform)
    """

    _path: str
    _sample_rate: float

    def get_model(self):
        """Construct the SquimObjective model, and load the pretrained weight.

        The weight file is fetched from ``https://download.pytorch.org/torchaudio/models/`` into
        ``<hub dir>/torchaudio/models/``; without network access this fails at once, naming the
        file and that folder.

        Returns:
            Variation of :py:class:`~emberaudio.models.SquimObjective`.
        """
        return _get_model("squim_objective_base", self._path)

    @property
    def sample_rate(self):
        """Sample rate of the audio that the model is trained on.

        :type: float
        """
        return self._sample_rate


SQUIM_OBJECTIVE = SquimObjectiveBundle("squim_objective_dns2020.pth", _sample_rate=16000)
SQUIM_OBJECTIVE.__doc__ = """SquimObjective pipeline trained using approach described in
(Kumar et al., 2023) on the *DNS 2020 Dataset*. The weights are under Creative Commons
Attribution 4.0 International License.

Please refer to :py:class:`SquimObjectiveBundle` for usage instructions.
"""


@dataclass
class SquimSubjectiveBundle:
    """Data class that bundles associated information to use pretrained
    :py:class:`~emberaudio.models.SquimSubjective` model.

    This bundle can estimate subjective metric scores for speech enhancement, such as MOS.
    A typical use case would be a flow like `waveform -> score`.

    Example: Estimate the subjective metric scores for the input waveform.
        >>> from emberaudio.pipelines import SQUIM_SUBJECTIVE as bundle
        >>> model = bundle.get_model()
        >>> # a clean reference (not necessarily of the same speech) as the second input
        >>> score = model(waveform, reference)
    """

    _path: str
    _sample_rate: float

    def get_model(self):
        """Construct the SquimSubjective model, and load the pretrained weight.

        Returns:
            Variation of :py:class:`~emberaudio.models.SquimSubjective`.
        """
        return _get_model("squim_subjective_base", self._path)

    @property
    def sample_rate(self):
        """Sample rate of the audio that the model is trained on.

        :type: float
        """
        return self._sample_rate


SQUIM_SUBJECTIVE = SquimSubjectiveBundle("squim_subjective_bvcc_daps.pth", _sample_rate=16000)
SQUIM_SUBJECTIVE.__doc__ = """SquimSubjective pipeline trained as described in (Manocha and
Kumar, 2022) and (Kumar et al., 2023) on the *BVCC* and *DAPS* datasets. The weights are under
Creative Commons Attribution Non Commercial 4.0 International.

Please refer to :py:class:`SquimSubjectiveBundle` for usage instructions.
"""
