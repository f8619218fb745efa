"""Source tags of clinical reference §11 -> full citations, so a UI can expand "[R11]".

Pure data. Tags are G (guidance), R (peer-reviewed) and C (secondary: clinic forms, course
pages, manuals). The reference cites some guidance only through a secondary reproduction,
written "[G1 via C6]"; the rules store that as the two tags ("G1", "C6"), and `parse_tags`
turns such text into the same tuple. Section pointers ("[G8 §5.1]") and remarks
("[R11 table 2]") keep only the tag, because the citation lists the sections.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

GUIDANCE = "guidance"
PEER_REVIEWED = "peer_reviewed"
SECONDARY = "secondary"


class UnknownSource(LookupError):
    """A source tag that §11 does not define."""

    def __init__(self, tag: object) -> None:
        super().__init__(f"unknown source tag {tag!r}")
        self.tag = tag


@dataclass(frozen=True)
class Source:
    """One reference of §11: tag, quality class, citation text as written, and its URLs."""

    tag: str
    kind: str
    citation: str
    urls: tuple[str, ...] = ()


_SOURCE_LIST: tuple[Source, ...] = (
    Source(
        "G1",
        GUIDANCE,
        (
            "American Physical Therapy Association. *Description of Dry Needling in Clinical"
            " Practice: An Educational Resource Paper.* APTA Public Policy, Practice, and"
            " Professional Affairs Unit, 2013. Not directly read; content via [R16], [R11] and"
            " [C6]."
        ),
        (),
    ),
    Source(
        "G2",
        GUIDANCE,
        (
            "APTA. *Physical Therapists & the Performance of Dry Needling: An Educational"
            " Resource Paper.* January 2012. "
            "https://vdocuments.site/apta-resource-paper.html"
        ),
        ("https://vdocuments.site/apta-resource-paper.html",),
    ),
    Source(
        "G3",
        GUIDANCE,
        (
            "Australian Society of Acupuncture Physiotherapists. *Guidelines for Safe Acupuncture"
            " and Dry Needling Practice.* 2007; revised 2013 and 2018. "
            "https://fdocuments.in/document/guidelines-for-and-dry-needling-paula-raymond-yacoub-and-leigh-mccutcheon-updated.html"
            " ; history: "
            "https://combinedhealth.com.au/safety-is-paramount"
            " (table of contents only read)."
        ),
        (
            "https://fdocuments.in/document/guidelines-for-and-dry-needling-paula-raymond-yacoub-and-leigh-mccutcheon-updated.html",
            "https://combinedhealth.com.au/safety-is-paramount",
        ),
    ),
    Source(
        "G3a",
        GUIDANCE,
        (
            'Goldfields Physio Hub, clinic protocol "Contraindications and precautions for'
            ' acupuncture and dry needling" (ASAP/AACP-style content). '
            "https://sites.google.com/view/goldfieldsphysiohub/modalities-treatment-procedure/acupuncture-and-dry-needling/contraindications-and-precautions-for-acupuncture-and-dry-needling"
        ),
        (
            "https://sites.google.com/view/goldfieldsphysiohub/modalities-treatment-procedure/acupuncture-and-dry-needling/contraindications-and-precautions-for-acupuncture-and-dry-needling",
        ),
    ),
    Source(
        "G4",
        GUIDANCE,
        (
            "Acupuncture Association of Chartered Physiotherapists. *AACP Guidelines for Safe"
            " Practice* V2 2012 (with pregnancy-points erratum: avoid LI4, SP6, BL60, BL67,"
            " sacral foramina BL31–34); *Safe Practice Guidelines for Acupuncture"
            " Physiotherapists* V3 2017 and 2021. "
            "https://documents.pub/document/aacp-guidelines-for-safe-practice-for-aacp-guidelines-for-safe-practice-acupuncture.html"
            " ; "
            "https://readkong.com/page/safe-practice-guidelines-for-acupuncture-physiotherapists-9024720"
        ),
        (
            "https://documents.pub/document/aacp-guidelines-for-safe-practice-for-aacp-guidelines-for-safe-practice-acupuncture.html",
            "https://readkong.com/page/safe-practice-guidelines-for-acupuncture-physiotherapists-9024720",
        ),
    ),
    Source(
        "G5",
        GUIDANCE,
        (
            "Irish Society of Chartered Physiotherapists. *Guidelines for Dry Needling Practice.*"
            " August 2012. "
            "https://vdocuments.site/guidelines-for-dry-needling-practice-ilustre-colegio-for-dryguidelines.html"
        ),
        (
            "https://vdocuments.site/guidelines-for-dry-needling-practice-ilustre-colegio-for-dryguidelines.html",
        ),
    ),
    Source(
        "G6",
        GUIDANCE,
        (
            "McEvoy J. Trigger point dry needling: safety guidelines. In: Dommerholt J,"
            " Fernández-de-las-Peñas C, eds. *Trigger Point Dry Needling: An Evidence and"
            " Clinical-Based Approach.* Churchill Livingstone; 2013, ch. 5. "
            "https://musculoskeletalkey.com/trigger-point-dry-needling-safety-guidelines-2"
        ),
        ("https://musculoskeletalkey.com/trigger-point-dry-needling-safety-guidelines-2",),
    ),
    Source(
        "G7",
        GUIDANCE,
        (
            "Dry Needling Verband Schweiz. *Swiss Guidelines for safe Dry Needling*, v1.7, 2014. "
            "https://documents.pub/document/swiss-guidelines-for-safe-dry-needling.html"
        ),
        ("https://documents.pub/document/swiss-guidelines-for-safe-dry-needling.html",),
    ),
    Source(
        "G8",
        GUIDANCE,
        (
            "South Africa, Allied Health Professions Act 1982, Board Notice 121, *Safety"
            " Guidelines: Chiropractic and Osteopathy: Dry Needling*: §1 "
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_1__introduction.php"
            " ; §4 adverse effects "
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_4__adverse_effects.php"
            " ; §5.1 thorax "
            "http://acts.co.za/allied-health-professions-act-1982/bn121_5_1_thorax.php"
            " ; §5.4 vessels/nerves "
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_5_4_blood_vessels__nerve.php"
            " ; §7 hygiene "
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_7__hygienic_requirements.php"
        ),
        (
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_1__introduction.php",
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_4__adverse_effects.php",
            "http://acts.co.za/allied-health-professions-act-1982/bn121_5_1_thorax.php",
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_5_4_blood_vessels__nerve.php",
            "https://source.acts.co.za/allied-health-professions-act-1982/bn121_7__hygienic_requirements.php",
        ),
    ),
    Source(
        "G9",
        GUIDANCE,
        (
            "Physiotherapy Alberta. Dry needling adverse events FAQ "
            "https://www.physiotherapyalberta.ca/physiotherapists/resources_to_help_you_meet_practice_standards/dry_needling_safety_resources/faq_dry_needling_adverse_events"
            " ; Critical event management guideline "
            "https://www.physiotherapyalberta.ca/physiotherapists/resources_to_help_you_meet_practice_standards/dry_needling_safety_resources/dry_needling_critical_event_management"
        ),
        (
            "https://www.physiotherapyalberta.ca/physiotherapists/resources_to_help_you_meet_practice_standards/dry_needling_safety_resources/faq_dry_needling_adverse_events",
            "https://www.physiotherapyalberta.ca/physiotherapists/resources_to_help_you_meet_practice_standards/dry_needling_safety_resources/dry_needling_critical_event_management",
        ),
    ),
    Source(
        "G10",
        GUIDANCE,
        (
            "Health Quality Council of Alberta. *The Safe Practice of Dry Needling in Alberta.*"
            " Summary report, October 2014. "
            "https://hqca.ca/reports/the-safe-practice-of-dry-needling-in-alberta/"
        ),
        ("https://hqca.ca/reports/the-safe-practice-of-dry-needling-in-alberta/",),
    ),
    Source(
        "G11",
        GUIDANCE,
        (
            'College of Physiotherapists of Alberta. "Understanding dry needling risks and'
            ' consent." '
            "https://www.cpta.ab.ca/for-the-public/blog/understanding-dry-needling-risks-and-consent/"
        ),
        (
            "https://www.cpta.ab.ca/for-the-public/blog/understanding-dry-needling-risks-and-consent/",
        ),
    ),
    Source(
        "G12",
        GUIDANCE,
        (
            "Alabama Administrative Code r. 190-X-3-.03 (chiropractic dry needling: written,"
            " specific informed consent; documentation). "
            "https://www.law.cornell.edu/regulations/alabama/Ala-Admin-Code-r-190-X-3-.03"
        ),
        ("https://www.law.cornell.edu/regulations/alabama/Ala-Admin-Code-r-190-X-3-.03",),
    ),
    Source(
        "G13",
        GUIDANCE,
        (
            "New Zealand Health and Disability Commissioner, decision 15HDC00947 (2017). "
            "https://hdc.org.nz/decisions/search-decisions/2017/15hdc00947"
        ),
        ("https://hdc.org.nz/decisions/search-decisions/2017/15hdc00947",),
    ),
    Source(
        "G14",
        GUIDANCE,
        (
            "Houghton PE, Nussbaum EL, Hoens AM. Electrophysical agents – contraindications and"
            " precautions: an evidence-based approach to clinical decision making in physical"
            " therapy. *Physiother Can* 2010;62(5):1–80 (table of contents and e-stim reference"
            " list read). "
            "https://ouci.dntb.gov.ua/en/works/lDw25wM4"
        ),
        ("https://ouci.dntb.gov.ua/en/works/lDw25wM4",),
    ),
    Source(
        "G15",
        GUIDANCE,
        (
            "de Valois B, Young T, Zollman C, et al. Acupuncture in cancer care: recommendations"
            " for safe practice (peer-reviewed expert opinion). *Support Care Cancer*"
            " 2024;32:229. "
            "https://link.springer.com/10.1007/s00520-024-08386-6"
        ),
        ("https://link.springer.com/10.1007/s00520-024-08386-6",),
    ),
    Source(
        "G16",
        GUIDANCE,
        (
            "Filshie J, Hester J. Guidelines for providing acupuncture treatment for cancer"
            " patients – a peer-reviewed sample policy document. *Acupunct Med*"
            " 2006;24(4):172–182 (cited via [G15], [G20])."
        ),
        (),
    ),
    Source(
        "G17",
        GUIDANCE,
        (
            "National Lymphedema Network Medical Advisory Committee. Position statement:"
            " lymphedema risk reduction practices (rev. May 2012). "
            "https://docobook.com/topic-lymphedema-risk-reduction-practices.html"
        ),
        ("https://docobook.com/topic-lymphedema-risk-reduction-practices.html",),
    ),
    Source(
        "G18",
        GUIDANCE,
        (
            "Milne AD, Dobson GR, Feldman JL, Nudelman J. A rational approach to lymphedema risk"
            " reduction practices. *APSF Newsletter* June 2017. "
            "https://www.apsf.org/newsletters/html/2017/June/09_QA-Lymphedema.htm"
        ),
        ("https://www.apsf.org/newsletters/html/2017/June/09_QA-Lymphedema.htm",),
    ),
    Source(
        "G19a",
        GUIDANCE,
        (
            'British Acupuncture Council, "Ask an expert – epilepsy". '
            "https://www.acupuncture.org.uk/public-content/public-ask-an-expert/ask-an-expert-neuro-and-psycho-logical/ask-an-expert-epilepsy.html"
        ),
        (
            "https://www.acupuncture.org.uk/public-content/public-ask-an-expert/ask-an-expert-neuro-and-psycho-logical/ask-an-expert-epilepsy.html",
        ),
    ),
    Source(
        "G19b",
        GUIDANCE,
        (
            'British Acupuncture Council, "Can someone on blood thinners have acupuncture?" '
            "https://www.acupuncture.org.uk/public-content/public-ask-an-expert/ask-an-expert-general/5865-can-someone-on-blood-thinners-have-acupuncture.html"
        ),
        (
            "https://www.acupuncture.org.uk/public-content/public-ask-an-expert/ask-an-expert-general/5865-can-someone-on-blood-thinners-have-acupuncture.html",
        ),
    ),
    Source(
        "G20",
        GUIDANCE,
        (
            "Fox H. Preventative measures for lymphoedema (summarises Lymphoedema Framework"
            " policy and Filshie & Hester). "
            "http://www.helenfox.co.uk/preventative-measures-for-lymphoedema-separating-fact-from-fiction/"
        ),
        (
            "http://www.helenfox.co.uk/preventative-measures-for-lymphoedema-separating-fact-from-fiction/",
        ),
    ),
    Source(
        "R1",
        PEER_REVIEWED,
        (
            "Brady S, McEvoy J, Dommerholt J, Doody C. Adverse events following trigger point dry"
            " needling: a prospective survey of chartered physiotherapists. *J Man Manip Ther*"
            " 2014;22(3):134–140. "
            "https://dev.integrativedryneedling.com/adverse-events-following-trigger-point-dry-needling-a-prospective-survey-of-chartered-physiotherapists/"
        ),
        (
            "https://dev.integrativedryneedling.com/adverse-events-following-trigger-point-dry-needling-a-prospective-survey-of-chartered-physiotherapists/",
        ),
    ),
    Source(
        "R2",
        PEER_REVIEWED,
        (
            "Boyce D, Wempe H, Campbell C, et al. Adverse events associated with therapeutic dry"
            " needling. *Int J Sports Phys Ther* 2020;15(1):103–113. doi:10.26603/ijspt20200103"
        ),
        (),
    ),
    Source(
        "R3",
        PEER_REVIEWED,
        (
            "Gattie E, Cleland JA, Snodgrass S. A survey of American physical therapists' current"
            " practice of dry needling: practice patterns and adverse events. *Musculoskelet Sci"
            " Pract* 2020;50:102255."
        ),
        (),
    ),
    Source(
        "R4",
        PEER_REVIEWED,
        (
            "Jenkins LC, Summers SJ, Nasser A, Verhagen A. Dry needling perceptions and"
            " experiences: a survey of Australian physiotherapists. *Musculoskelet Sci Pract*"
            " 2024:102895. "
            "https://discovery.researcher.life/topic/event-reports/3683905?page=9"
        ),
        ("https://discovery.researcher.life/topic/event-reports/3683905?page=9",),
    ),
    Source(
        "R5",
        PEER_REVIEWED,
        (
            "Witt CM, Pach D, Brinkhaus B, et al. Safety of acupuncture: results of a prospective"
            " observational study with 229,230 patients and introduction of a medical information"
            " and consent form. *Forsch Komplementmed* 2009;16:91–97. "
            "http://www.karger.com/Article/Abstract/209315"
        ),
        ("http://www.karger.com/Article/Abstract/209315",),
    ),
    Source(
        "R6",
        PEER_REVIEWED,
        (
            "White A, Hayhoe S, Hart A, Ernst E. Adverse events following acupuncture:"
            " prospective survey of 32 000 consultations with doctors and physiotherapists. *BMJ*"
            " 2001;323:485–486. "
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC48133"
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC48133",),
    ),
    Source(
        "R7",
        PEER_REVIEWED,
        (
            "MacPherson H, Scullion A, Thomas KJ, Walters S. Patient reports of adverse events"
            " associated with acupuncture treatment: a prospective national survey. *Qual Saf"
            " Health Care* 2004;13:349–355."
        ),
        (),
    ),
    Source(
        "R8",
        PEER_REVIEWED,
        (
            "Clinical study of syncope during acupuncture treatment (Veterans General Hospital,"
            " Taipei). *Acupunct Electrother Res* 1990;15(2):107–119. "
            "https://science.heilpflanzen-welt.de/1990/1978502.htm"
        ),
        ("https://science.heilpflanzen-welt.de/1990/1978502.htm",),
    ),
    Source(
        "R9",
        PEER_REVIEWED,
        (
            "Acupuncture-associated vasovagal response: report and review. *Med Acupunct* 2017"
            " (PMC5733642). "
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC5733642/"
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC5733642/",),
    ),
    Source(
        "R10",
        PEER_REVIEWED,
        (
            "McCulloch M, et al. Acupuncture safety in patients receiving anticoagulants: a"
            " systematic review. *Perm J* 2015;19(1):68–73. "
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC4315381"
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC4315381",),
    ),
    Source(
        "R11",
        PEER_REVIEWED,
        (
            "Muñoz M, Dommerholt J, Pérez-Palomares S, Herrero P, Calvo S. Dry needling and"
            " antithrombotic drugs. *Pain Res Manag* 2022:1363477 (includes the APTA bleeding"
            " wording and table 2 of bleeding factors); practice summary: "
            "https://aoptseminars.org/blog/dry-needling-amp-blood-thinner-medications-is-it-a-safe-combination"
        ),
        (
            "https://aoptseminars.org/blog/dry-needling-amp-blood-thinner-medications-is-it-a-safe-combination",
        ),
    ),
    Source(
        "R12",
        PEER_REVIEWED,
        (
            "Kearns G, Fernández-de-las-Peñas C, Brismée JM, Gan J, Doidge J. New perspectives on"
            " dry needling following a medical model: are we screening our patients sufficiently?"
            " *J Man Manip Ther* 2019;27(3):172–179."
        ),
        (),
    ),
    Source(
        "R13",
        PEER_REVIEWED,
        (
            "Halle JS, Halle RJ. Pertinent dry needling considerations for minimizing adverse"
            " effects – part two. *Int J Sports Phys Ther* 2016;11(5):810–819."
        ),
        (),
    ),
    Source(
        "R14",
        PEER_REVIEWED,
        (
            "Kalichman L, Vulfsons S. Dry needling in the management of musculoskeletal pain. *J"
            " Am Board Fam Med* 2010;23(5):640–646."
        ),
        (),
    ),
    Source(
        "R15",
        PEER_REVIEWED,
        (
            "Unverzagt C, Berglund K, Thomas JJ. Dry needling for myofascial trigger point pain:"
            " a clinical commentary. *Int J Sports Phys Ther* 2015;10(3):402–418."
        ),
        (),
    ),
    Source(
        "R16",
        PEER_REVIEWED,
        (
            'Table 3 "Contraindications, risks and complications of dry needling", adapted from'
            " APTA 2013 and Kalichman 2010. *Int J Sports Phys Ther* 2014;9(1):116–124. "
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC3924615/table/T3"
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC3924615/table/T3",),
    ),
    Source(
        "R17",
        PEER_REVIEWED,
        (
            "Carr DJ. The safety of obstetric acupuncture: forbidden points revisited. *Acupunct"
            " Med* 2015;33(5):413–419. "
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC4680134"
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC4680134",),
    ),
    Source(
        "R18",
        PEER_REVIEWED,
        (
            "McDowell JM, Kohut SH, Betts D. Safe acupuncture and dry needling during pregnancy:"
            " New Zealand physiotherapists' opinion and practice. *J Integr Med*"
            " 2019;17(1):30–37."
        ),
        (),
    ),
    Source(
        "R19",
        PEER_REVIEWED,
        (
            "Park J, et al. The safety of acupuncture during pregnancy: a systematic review."
            " *Acupunct Med* 2014 (summary read at "
            "https://www.aapeducation.com.au/blog/entry/copy-of-clinical-kit-18-03-2014-needling-safety-during-pregnancy.html"
            ")."
        ),
        (
            "https://www.aapeducation.com.au/blog/entry/copy-of-clinical-kit-18-03-2014-needling-safety-during-pregnancy.html",
        ),
    ),
    Source(
        "R20",
        PEER_REVIEWED,
        (
            "Adams D, et al. The safety of pediatric acupuncture: a systematic review."
            " *Pediatrics* 2011. "
            "https://www.researchgate.net/publication/51817751_The_Safety_of_Pediatric_Acupuncture_A_Systematic_Review"
        ),
        (
            "https://www.researchgate.net/publication/51817751_The_Safety_of_Pediatric_Acupuncture_A_Systematic_Review",
        ),
    ),
    Source(
        "R21",
        PEER_REVIEWED,
        (
            "Steentjes K, de Vries LM, Ridwan BU, Wijgman AJ. [Infection of a hip prosthesis"
            " after dry needling]. *Ned Tijdschr Geneeskd* 2016;160:A9364."
        ),
        (),
    ),
    Source(
        "R22",
        PEER_REVIEWED,
        (
            "Grusche F, Egerton-Warburton D. Traumatic pneumothorax following acupuncture: a case"
            " series. *West J Emerg Med.* "
            "https://westjem.com/case-report/traumatic-pneumothorax-following-acupuncture-a-case-series.html"
        ),
        (
            "https://westjem.com/case-report/traumatic-pneumothorax-following-acupuncture-a-case-series.html",
        ),
    ),
    Source(
        "R23",
        PEER_REVIEWED,
        (
            '"Acupuncture-D" – bilateral pneumothoraces following dry needling. *Ir Med J*'
            " 2022;115(2):546."
        ),
        (),
    ),
    Source(
        "R24",
        PEER_REVIEWED,
        (
            "Patel N, Patel M, Poustinchian B. Dry needling–induced pneumothorax. *J Am Osteopath"
            " Assoc* 2019;119(1):59–62."
        ),
        (),
    ),
    Source(
        "R25",
        PEER_REVIEWED,
        (
            "Cummings M. Safety aspects of electroacupuncture. *Acupunct Med* 2011;29(2):83–85;"
            ' and BMAS blog "TENS in patients with ICDs" (2023) '
            "https://bmas.blog/2023/08/06/tens-in-patients-with-icds"
        ),
        ("https://bmas.blog/2023/08/06/tens-in-patients-with-icds",),
    ),
    Source(
        "R26",
        PEER_REVIEWED,
        (
            "Sierpina VS, Frenkel MA. Acupuncture: a clinical review. *South Med J*"
            " 2005;98(3):330–337. "
            "https://www.medscape.com/viewarticle/501973_6"
        ),
        ("https://www.medscape.com/viewarticle/501973_6",),
    ),
    Source(
        "R27a",
        PEER_REVIEWED,
        (
            "Grimalt F, Romaguera C. Nickel dermatitis from acupuncture needles. *Contact"
            " Dermatitis* 1979 (cited in a later case report: "
            "https://paperexplained.cn/articles/paper/detail/5f7b225278cff7021fa721796230c42a5d3a02cd"
            ")."
        ),
        (
            "https://paperexplained.cn/articles/paper/detail/5f7b225278cff7021fa721796230c42a5d3a02cd",
        ),
    ),
    Source(
        "R27b",
        PEER_REVIEWED,
        (
            "Almutairi N, Almutawa F. Allergic contact dermatitis pattern in Kuwait. *Adv"
            " Dermatol Allergol* 2017;34(3):207–215 (cites nickel prevalence 13% adults, 8%"
            " children)."
        ),
        (),
    ),
    Source(
        "R28",
        PEER_REVIEWED,
        (
            "Beable A. Transient paralysis during acupuncture therapy: a case report of an"
            " adverse event. *Acupunct Med* 2013;31:319–324."
        ),
        (),
    ),
    Source(
        "R29a",
        PEER_REVIEWED,
        (
            "Martín-Pintado-Zugasti A, et al. Effects of spray and stretch on postneedling"
            " soreness and sensitivity after dry needling of a latent myofascial trigger point."
            " *Arch Phys Med Rehabil* 2014;95(10):1925–1932."
        ),
        (),
    ),
    Source(
        "R29b",
        PEER_REVIEWED,
        (
            "Postneedling soreness after deep dry needling of a latent myofascial trigger point"
            " in the upper trapezius muscle: characteristics, sex differences and associated"
            " factors. *J Back Musculoskelet Rehabil* 2016;29(2):301–308."
        ),
        (),
    ),
    Source(
        "R29c",
        PEER_REVIEWED,
        (
            "Martín-Pintado-Zugasti A, Mayoral del Moral O, Gerwin RD, Fernández-Carnero J."
            " Postneedling soreness after myofascial trigger point dry needling: current status"
            " and future research. *J Bodyw Mov Ther* 2018."
        ),
        (),
    ),
    Source(
        "R30a",
        PEER_REVIEWED,
        (
            "Ickert EC, Griswold D, Learman K, Cook C. Creation of a risk of harms informed"
            " consent form for dry needling: a nominal group technique. *Musculoskelet Sci Pract*"
            " 2023;66:102778."
        ),
        (),
    ),
    Source(
        "R30b",
        PEER_REVIEWED,
        (
            "Identifying which adverse events associated with dry needling should be included for"
            " informed consent: a modified e-Delphi study. *Physiother Theory Pract*"
            " 2024;40(8):1731–1743."
        ),
        (),
    ),
    Source(
        "R31",
        PEER_REVIEWED,
        (
            "Xu S, Wang L, Cooper E, et al. Adverse events of acupuncture: a systematic review of"
            " case reports. *Evid Based Complement Alternat Med* 2013:581203."
        ),
        (),
    ),
    Source(
        "R32",
        PEER_REVIEWED,
        (
            "Valera-Calero JA, et al. Prediction of rhomboid major and pleura depth for dry"
            " needling (preprint abstract). "
            "https://authorea.com/users/319890-juan-antonio-valera-calero?articles_format=grid"
        ),
        ("https://authorea.com/users/319890-juan-antonio-valera-calero?articles_format=grid",),
    ),
    Source(
        "R33",
        PEER_REVIEWED,
        (
            "Folli A, Schneebeli A, Ballerini S, et al. Enhancing trigger point dry needling"
            " safety by ultrasound skin-to-rib measurement: an inter-rater reliability study. *J"
            " Clin Med* 2020."
        ),
        (),
    ),
    Source(
        "R34",
        PEER_REVIEWED,
        (
            "Dunning J, Butts R, Mourad F, et al. Dry needling: a literature review with"
            " implications for clinical practice guidelines. *Phys Ther Rev* 2014;19(4):252–265."
        ),
        (),
    ),
    Source(
        "R35",
        PEER_REVIEWED,
        (
            "Adverse-event table of a systematic review of DN trials (*J Clin Med* 2020;9:3300,"
            " table 5): post-needling soreness resolved spontaneously within 24–48 h"
            " (Llamas-Ramos 2014) and 24–36 h (Mejuto-Vázquez 2014). "
            "https://pmc.ncbi.nlm.nih.gov/articles/PMC7602246/table/jcm-09-03300-t005"
        ),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC7602246/table/jcm-09-03300-t005",),
    ),
    Source(
        "C1",
        SECONDARY,
        ("Clinic consent/intake forms:"),
        (),
    ),
    Source(
        "C1a",
        SECONDARY,
        (
            "Clinic consent/intake form: Physio South NZ acupuncture consent "
            "https://www.physiosouth.co.nz/acupuncture-consent-form/"
        ),
        ("https://www.physiosouth.co.nz/acupuncture-consent-form/",),
    ),
    Source(
        "C1b",
        SECONDARY,
        (
            "Clinic consent/intake form: Bondurant PT "
            "https://bondurantpt.com/dry-needling-consent-form/"
        ),
        ("https://bondurantpt.com/dry-needling-consent-form/",),
    ),
    Source(
        "C1c",
        SECONDARY,
        (
            "Clinic consent/intake form: online chiropractic consent form "
            "https://my.onlinechiro.com/0026828/dry-needling-consent-form"
        ),
        ("https://my.onlinechiro.com/0026828/dry-needling-consent-form",),
    ),
    Source(
        "C1d",
        SECONDARY,
        (
            "Clinic consent/intake form: 919 Local PT "
            "https://www.919localpt.com/dry-needling-consent"
        ),
        ("https://www.919localpt.com/dry-needling-consent",),
    ),
    Source(
        "C1e",
        SECONDARY,
        (
            "Clinic consent/intake form: dry needling course screening list "
            "https://form.jotform.com/210343599959066"
        ),
        ("https://form.jotform.com/210343599959066",),
    ),
    Source(
        "C1f",
        SECONDARY,
        (
            "Clinic consent/intake form: True North Athletic Therapy "
            "https://truenorthathletictherapy.com/consent-form/"
        ),
        ("https://truenorthathletictherapy.com/consent-form/",),
    ),
    Source(
        "C1g",
        SECONDARY,
        (
            "Clinic consent/intake form: Sharp PT "
            "https://sharpphysicaltherapy.com/dry-needling-consent-form"
        ),
        ("https://sharpphysicaltherapy.com/dry-needling-consent-form",),
    ),
    Source(
        "C1h",
        SECONDARY,
        (
            "Clinic consent/intake form: Spooner PT "
            "https://spoonerpt.com/dry-needling-consent-to-treat"
        ),
        ("https://spoonerpt.com/dry-needling-consent-to-treat",),
    ),
    Source(
        "C1i",
        SECONDARY,
        (
            "Clinic consent/intake form: North Shore Mobility PT "
            "https://www.northshoremobilitypt.com/dry-needling-cupping-consent"
        ),
        ("https://www.northshoremobilitypt.com/dry-needling-cupping-consent",),
    ),
    Source(
        "C1j",
        SECONDARY,
        (
            "Clinic consent/intake form: Move Physio "
            "https://movephysio.ca/forms/consent-to-dry-needling-acupuncture/"
        ),
        ("https://movephysio.ca/forms/consent-to-dry-needling-acupuncture/",),
    ),
    Source(
        "C1k",
        SECONDARY,
        (
            "Clinic consent/intake form: The Basics First "
            "https://thebasicsfirst.com/informed-consent"
        ),
        ("https://thebasicsfirst.com/informed-consent",),
    ),
    Source(
        "C1l",
        SECONDARY,
        (
            "Clinic consent/intake form: physiotherapy acupuncture/DN consent "
            "https://form.jotform.com/220855501343045"
        ),
        ("https://form.jotform.com/220855501343045",),
    ),
    Source(
        "C2",
        SECONDARY,
        (
            "Aftercare pages: "
            "https://bodysolutionspt.com/post/post-dry-needling-care-what-to-expect"
            " ; "
            "https://biologyinsights.com/what-to-do-after-dry-needling-for-best-results"
        ),
        (
            "https://bodysolutionspt.com/post/post-dry-needling-care-what-to-expect",
            "https://biologyinsights.com/what-to-do-after-dry-needling-for-best-results",
        ),
    ),
    Source(
        "C3a",
        SECONDARY,
        (
            "Medical acupuncture clinic protocol on anticoagulants "
            "https://acupuntura.com/en/articles/anticoagulants-acupuncture-safety/"
            " and pacemakers "
            "https://acupuntura.com/en/articles/pacemaker-electroacupuncture-safety/"
        ),
        (
            "https://acupuntura.com/en/articles/anticoagulants-acupuncture-safety/",
            "https://acupuntura.com/en/articles/pacemaker-electroacupuncture-safety/",
        ),
    ),
    Source(
        "C3b",
        SECONDARY,
        (
            "AI-generated summary (very weak) "
            "https://www.droracle.ai/articles/678174/what-are-the-considerations-and-potential-risks-for-a"
        ),
        (
            "https://www.droracle.ai/articles/678174/what-are-the-considerations-and-potential-risks-for-a",
        ),
    ),
    Source(
        "C3c",
        SECONDARY,
        (
            "warfarin target-range summary "
            "http://definiteanswers.com/q/What-Is-the-Usual-Target-Range-of-the-International-Normalized-Ratio-of-the-Prothrombin-Time-in-Pati-4dff5be29f426"
        ),
        (
            "http://definiteanswers.com/q/What-Is-the-Usual-Target-Range-of-the-International-Normalized-Ratio-of-the-Prothrombin-Time-in-Pati-4dff5be29f426",
        ),
    ),
    Source(
        "C4",
        SECONDARY,
        ("Pregnancy:"),
        (),
    ),
    Source(
        "C4a",
        SECONDARY,
        (
            "Pregnancy and dry needling web page: "
            "https://www.gemtinfo.com.au/dry-needling-during-pregnancy/"
        ),
        ("https://www.gemtinfo.com.au/dry-needling-during-pregnancy/",),
    ),
    Source(
        "C4b",
        SECONDARY,
        (
            "Pregnancy and dry needling web page: "
            "http://www.kinfolkwellness.com.au/blog/2023/10/19/is-dry-needling-safe-during-pregnancy"
        ),
        (
            "http://www.kinfolkwellness.com.au/blog/2023/10/19/is-dry-needling-safe-during-pregnancy",
        ),
    ),
    Source(
        "C4c",
        SECONDARY,
        (
            "Pregnancy and dry needling web page: "
            "https://ballsbridgephysio.ie/news/dry-needling-safe-pregnancy/"
        ),
        ("https://ballsbridgephysio.ie/news/dry-needling-safe-pregnancy/",),
    ),
    Source(
        "C4d",
        SECONDARY,
        (
            "Pregnancy and dry needling web page: "
            "https://ptonice.com/is-dry-needling-safe-during-pregnancy/"
        ),
        ("https://ptonice.com/is-dry-needling-safe-during-pregnancy/",),
    ),
    Source(
        "C5",
        SECONDARY,
        (
            "Dry needling technique book excerpts (doctorabel): syncope risk factors "
            "https://www.doctorabel.us/dry-needling-techniques/syncope.html"
            " ; pathologic conditions "
            "https://www.doctorabel.us/dry-needling-techniques/pathologic-conditions.html"
        ),
        (
            "https://www.doctorabel.us/dry-needling-techniques/syncope.html",
            "https://www.doctorabel.us/dry-needling-techniques/pathologic-conditions.html",
        ),
    ),
    Source(
        "C6",
        SECONDARY,
        (
            "APTA list as reproduced by "
            "https://physioman.in/Treatment/16/Dry%20Needling"
            " and "
            "https://physilife.in/to-needle-or-not-to-needle-that-is-the-question-indications-contraindications-and-dangers-related-to-dry-needling"
        ),
        (
            "https://physioman.in/Treatment/16/Dry%20Needling",
            "https://physilife.in/to-needle-or-not-to-needle-that-is-the-question-indications-contraindications-and-dangers-related-to-dry-needling",
        ),
    ),
    Source(
        "C6a",
        SECONDARY,
        ("Clinic contraindication page: http://dryneedlingleeuwarden.nl/de-contra-indicaties/"),
        ("http://dryneedlingleeuwarden.nl/de-contra-indicaties/",),
    ),
    Source(
        "C6b",
        SECONDARY,
        (
            "Clinic contraindication page: "
            "http://advantagehealth.net.au/articles/acupuncture-precautions-and-contra-indications"
        ),
        ("http://advantagehealth.net.au/articles/acupuncture-precautions-and-contra-indications",),
    ),
    Source(
        "C6c",
        SECONDARY,
        (
            "Clinic contraindication page: "
            "https://ictmjc.com/blog/risks-associated-with-dry-needling"
        ),
        ("https://ictmjc.com/blog/risks-associated-with-dry-needling",),
    ),
    Source(
        "C6d",
        SECONDARY,
        (
            "Clinic contraindication page: "
            "https://www.e-physioneeds.com/blog/safety-contraindications-clinical-reasoning-in-dry-needling"
        ),
        (
            "https://www.e-physioneeds.com/blog/safety-contraindications-clinical-reasoning-in-dry-needling",
        ),
    ),
    Source(
        "C7",
        SECONDARY,
        ("E-stim:"),
        (),
    ),
    Source(
        "C7a",
        SECONDARY,
        (
            "E-stim contraindications: stimulator manual contraindications "
            "http://88.208.23.73:8080/en/manual/electromedic/eva/2385698?page=6"
        ),
        ("http://88.208.23.73:8080/en/manual/electromedic/eva/2385698?page=6",),
    ),
    Source(
        "C7b",
        SECONDARY,
        (
            "E-stim contraindications: textbook list quoted at "
            "http://book-med.info/treatment-and-therapy/716"
        ),
        ("http://book-med.info/treatment-and-therapy/716",),
    ),
    Source(
        "C7c",
        SECONDARY,
        (
            "E-stim contraindications: Amrex MS322 manual "
            "https://manualshive.com/en/manual/amrex/ms322/2935882?page=6"
        ),
        ("https://manualshive.com/en/manual/amrex/ms322/2935882?page=6",),
    ),
    Source(
        "C7d",
        SECONDARY,
        (
            "E-stim contraindications: "
            "https://acuphysio.ie/therapies-available/electrical-stimulation/"
        ),
        ("https://acuphysio.ie/therapies-available/electrical-stimulation/",),
    ),
    Source(
        "C7e",
        SECONDARY,
        ("E-stim contraindications: https://neurorehab.wiki/wiki/TENS-CONTRAINDICATIONS"),
        ("https://neurorehab.wiki/wiki/TENS-CONTRAINDICATIONS",),
    ),
    Source(
        "C7f",
        SECONDARY,
        (
            "E-stim contraindications: Prizm stimulator manual warnings "
            "https://manualshive.com/ru/manual/prizm/micro-z-mini/1603738?page=5"
        ),
        ("https://manualshive.com/ru/manual/prizm/micro-z-mini/1603738?page=5",),
    ),
    Source(
        "C9",
        SECONDARY,
        (
            "Summary of needle-winding mechanotransduction research "
            "https://structureandfunction.net/dry-needling-for-scar-treatment"
        ),
        ("https://structureandfunction.net/dry-needling-for-scar-treatment",),
    ),
    Source(
        "C10",
        SECONDARY,
        ("Surface anatomy of the pleura for needling http://www.physilife.in/2016/12/31/spider/"),
        ("http://www.physilife.in/2016/12/31/spider/",),
    ),
    Source(
        "C11",
        SECONDARY,
        (
            "Case report: pneumothorax after interscapular DN (Phys Ther 2025) "
            "https://integrativedryneedling.com/?p=537499"
            " ; EVMS case "
            "https://test-www.evms.edu/research/research_day/presentations/flathersethan-49.html"
        ),
        (
            "https://integrativedryneedling.com/?p=537499",
            "https://test-www.evms.edu/research/research_day/presentations/flathersethan-49.html",
        ),
    ),
    Source(
        "C12",
        SECONDARY,
        (
            "Paediatric DN: "
            "https://www.theathletesparent.com/dry-needling-the-pediatric-population"
            " ; "
            "https://www.childrens.com/specialties-services/treatments/dry-needling"
        ),
        (
            "https://www.theathletesparent.com/dry-needling-the-pediatric-population",
            "https://www.childrens.com/specialties-services/treatments/dry-needling",
        ),
    ),
    Source(
        "C13",
        SECONDARY,
        (
            "Sunrise review follow-up answers on vulnerable patients "
            "https://documents.pub/document/1-should-dry-needling-dn-be-performed-on-vulnerable-obviously-this-question.html"
        ),
        (
            "https://documents.pub/document/1-should-dry-needling-dn-be-performed-on-vulnerable-obviously-this-question.html",
        ),
    ),
    Source(
        "C14",
        SECONDARY,
        (
            "Septic arthritis after acupuncture in rheumatoid arthritis (Joint Bone Spine 2008) "
            "https://hub.tmu.edu.tw/en/publications/acupuncture-associated-listeria-monocytogenes-arthritis-in-a-pati"
        ),
        (
            "https://hub.tmu.edu.tw/en/publications/acupuncture-associated-listeria-monocytogenes-arthritis-in-a-pati",
        ),
    ),
    Source(
        "C15",
        SECONDARY,
        (
            "Surgeon page citing Arthroplasty Today cases "
            "https://scottsdalehipandknee.com/post/can-i-do-acupuncture-or-dry-needling-after-knee-replacement-surgery"
        ),
        (
            "https://scottsdalehipandknee.com/post/can-i-do-acupuncture-or-dry-needling-after-knee-replacement-surgery",
        ),
    ),
    Source(
        "C16",
        SECONDARY,
        (
            "Acupuncture and dry needling for scars: systematic review (BMC Complement Med Ther"
            " 2023) "
            "https://bmccomplementmedtherapies.biomedcentral.com/articles/10.1186/s12906-023-04301-4"
        ),
        (
            "https://bmccomplementmedtherapies.biomedcentral.com/articles/10.1186/s12906-023-04301-4",
        ),
    ),
    Source(
        "C17",
        SECONDARY,
        (
            "Pressure time after needle withdrawal (1–3 minutes, longer if bleeding-prone) "
            "https://www.kiraspecialist.com/9701882096695/"
        ),
        ("https://www.kiraspecialist.com/9701882096695/",),
    ),
    Source(
        "C18",
        SECONDARY,
        (
            "Eating before needling / fainting when hungry: "
            "https://redleafwellness.ca/faq-items/are-there-any-reasons-why-i-should-not-be-treated-with-acupuncture/"
            " ; "
            "http://elcaminoacu.com/ufaqs/are-there-any-side-effects/"
        ),
        (
            "https://redleafwellness.ca/faq-items/are-there-any-reasons-why-i-should-not-be-treated-with-acupuncture/",
            "http://elcaminoacu.com/ufaqs/are-there-any-side-effects/",
        ),
    ),
)

SOURCES: Mapping[str, Source] = MappingProxyType({source.tag: source for source in _SOURCE_LIST})

_TAG = re.compile(r"\b([GRC]\d+[a-z]?)\b")


def cite(tag: str) -> Source:
    """The source for one tag ("R11"); raise UnknownSource."""
    try:
        return SOURCES[tag]
    except KeyError:
        raise UnknownSource(tag) from None


def parse_tags(text: str) -> tuple[str, ...]:
    """Every known tag in reference text, in order, once: "[G1 via C6], [R16]" -> G1, C6, R16."""
    found: list[str] = []
    for tag in _TAG.findall(text):
        cite(tag)
        if tag not in found:
            found.append(tag)
    return tuple(found)
