"""EUCAIM DCAT-AP v2.0, extending HealthDCAT-AP."""

from __future__ import annotations

from catalogue.dcat.namespaces import ADMS, EUCAIM
from catalogue.dcat.profiles.core import Field
from catalogue.dcat.profiles.healthdcat_ap import HealthDcatApProfile
from catalogue.dcat.profiles.kinds import EUCAIM_VALUE, EUCAIM_VALUES, INT, TEXTS, IrisOrTexts


class EucaimProfile(HealthDcatApProfile):
    """EUCAIM DCAT-AP v2.0 extension (https://cancerimage.eu/ontology/EUCAIM#)."""

    NAME = "eucaim"
    LABEL = "EUCAIM DCAT-AP v2.0"

    FIELDS = HealthDcatApProfile.FIELDS + (
        Field("birth_sex", EUCAIM.hasBirthSex, EUCAIM_VALUES, min=1),
        Field("cancer_types", EUCAIM.hasCondition, EUCAIM_VALUES, min=1),
        Field("modalities", EUCAIM.hasImageModality, EUCAIM_VALUES, min=1),
        Field("manufacturers", EUCAIM.hasEquipmentManufacturer, TEXTS, min=1),
        Field("body_parts", EUCAIM.hasImageBodyPart, EUCAIM_VALUES, min=1),
        Field("collection_methods", EUCAIM.collectionMethod, EUCAIM_VALUES, min=1),
        Field("tier", EUCAIM.interoperabilityLevel, EUCAIM_VALUE, min=1, max=1, aliases=(ADMS.interoperabilityLevel,)),
        Field("segmentation_labels", EUCAIM.hasAnnotationLabel, IrisOrTexts()),
        Field("segmentation_methods", EUCAIM.hasAlgorithmType, EUCAIM_VALUES),
        Field("n_segmentations", EUCAIM.nbrOfSegmentations, INT, max=1),
    )
