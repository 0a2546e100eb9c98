"""Reflective assessments with nbgrader: rubrics, file-based release and collection, marking,
feedback, moderation, and passes recorded as completions.

The flow, one module per step (one nbgrader course directory per study group or setting)::

    course_dir   create/open a course directory; its roster is store people (p12 = person 12)
    rubric       rubric.yml beside each assessment notebook: validated, checked, judged
    release      generate the learners' version; release as files/zip, or to the exchange
    collect      collect returned files (nbgrader zip collect) or the exchange; quarantine
                 damaged submissions with the learner and the problem
    autograde    parallel autograde: worker processes over disjoint learners
    marking      the marking API (gradebook + store) under the ipywidgets marking widget
    feedback     an HTML feedback file per learner, with rubric levels and comments
    moderate     a sample re-marked by a second marker; disagreements listed
    sync         each pass becomes a completion in the store, the assessment as its evidence

nbgrader and nbformat are imported only inside the functions that use them.
"""
