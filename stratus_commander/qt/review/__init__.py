"""The review desk: one incident's post-incident review, offline, from the SQLite file alone.

``view.py`` assembles the desk (:class:`~.view.ReviewView`) from its header and one module per
tab (``timeline_tab``, ``impact_tab``, ``actions_tab``, ``credits_tab``; the replayed graphs in
``graphs``); ``exports`` writes the incident out; ``action_item_dialog`` and ``close_dialog``
(the runbook's close step, opened from the cockpit) are its dialogs; ``widgets`` holds what the
tabs are made with.
"""
