"""What a session notebook runs: the activities, the course-at-a-glance card and the impact
questionnaire, as anywidget widgets whose browser module does the checking.

One implementation per activity type serves both places a learner meets it: the static book
(no kernel; the book's local widget manager loads the module) and JupyterLab with a kernel.
Imported only by notebooks; anywidget and ipywidgets are imported here and nowhere else.
The old import paths (`imatter.activities`, `imatter.glance`, `imatter.impact.questionnaire`)
re-export these functions, so notebooks need no change.
"""
