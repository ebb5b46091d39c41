from core.api.routes import PK, api_path
from rewards.api import views

ID = rf"(?P<id>{PK})"

urlpatterns = [
    api_path("tasks", views.TaskListView.as_view(), name="tasks"),
    api_path(rf"tasks/{ID}/complete", views.TaskCompleteView.as_view(), name="task-complete"),
    api_path("items", views.ItemListView.as_view(), name="items"),
    api_path(rf"items/{ID}/buy", views.ItemBuyView.as_view(), name="item-buy"),
    api_path("rewards", views.RewardListView.as_view(), name="rewards"),
    api_path(rf"rewards/{ID}/redeem", views.RewardRedeemView.as_view(), name="reward-redeem"),
    api_path("redemptions", views.RedemptionListView.as_view(), name="redemptions"),
    api_path("checkin", views.CheckInView.as_view(), name="checkin"),
    api_path("activity-events", views.ActivityEventView.as_view(), name="activity-events"),
    api_path("leaderboard", views.LeaderboardView.as_view(), name="leaderboard"),
]
